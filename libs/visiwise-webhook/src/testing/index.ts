// Test helpers of nestjs-visiwise-webhook, imported from 'nestjs-visiwise-webhook/testing'.
export {
  generateVisiwiseWebhookSecret,
  serializeVisiwisePayload,
  signVisiwiseWebhook,
} from './sign-visiwise-webhook';
export type { SignVisiwiseWebhookInput, VisiwiseWebhookHeaders } from './sign-visiwise-webhook';
