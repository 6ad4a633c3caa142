/** EC2 Instance State-change Notification (running, terminated): enqueue the instance. */
import { onInstanceStateChange } from '../lib/onboarding.js';
import { eventHandler } from './event-handler.js';

export const handler = eventHandler((ports, _settings, event) => onInstanceStateChange(ports, event));
