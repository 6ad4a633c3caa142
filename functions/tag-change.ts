/** Tag Change on Resource for an EC2 instance where the selector key changed: enqueue it. */
import { onTagChange } from '../lib/onboarding.js';
import { eventHandler } from './event-handler.js';

export const handler = eventHandler(onTagChange);
