/** EC2 Command Invocation Status-change Notification for the service's document: record the outcome. */
import { onCommandInvocation } from '../lib/onboarding.js';
import { eventHandler } from './event-handler.js';

export const handler = eventHandler(onCommandInvocation);
