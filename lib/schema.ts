/**
 * The one place production code gets zod from: `import * as z from './schema.js'`.
 *
 * Why zod/mini and not 'zod': cold start. The full entry adds ~454 KB and ~25 ms of module load
 * to every Lambda bundle; zod/mini (same package, functional and tree-shakable API) with the
 * English locale is ~21 KB and ~4 ms (measured).
 *
 * Why the locale: zod/mini loads none, so without it every message zod words itself is a bare
 * "Invalid input". Configuring it here, when this module loads, gives every schema the English
 * messages the full entry gives (the tests and the operators' error texts rely on them).
 *
 * Why `export *` and a namespace import, not `export { z }` / `import { z }`: esbuild tree-shakes
 * `z.string()` through a namespace import, but a namespace object re-exported as a value must be
 * built whole, which pulls in every locale and the JSON Schema code (~430 KB again). zod/mini also
 * exports a `z` of its own, so `import { z } from './schema.js'` would compile and work, and
 * quietly cost that: always `import * as z`.
 */
import { config } from 'zod/mini';
import { en } from 'zod/locales';

config(en());

export * from 'zod/mini';
