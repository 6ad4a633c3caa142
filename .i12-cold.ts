import { coldStartSection } from './bench/cold-start.js';
import { render } from './bench/report.js';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
console.log(render(await coldStartSection()));
