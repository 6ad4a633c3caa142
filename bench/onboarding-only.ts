/**
 * `npx tsx bench/onboarding-only.ts [n...]`: only the onboarding sections of `npm run bench`
 * (default 1,000 and 5,000), for iterating on the worker without the dry runs and cold starts.
 */
import { onboard, onboardingSection } from './onboarding.js';
import { render } from './report.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const sizes = process.argv.slice(2).map(Number);
for (const n of sizes.length ? sizes : [1_000, 5_000]) console.log(`${render(onboardingSection(await onboard(n)))}\n`);
