/**
 * The deployed stack: a synchronous invoke of its `reconcile` function with the operator's own
 * credentials (the default chain, or --profile). The CLI's SDK clients are built here (the
 * functions' are built in lib/aws/clients.ts, with the functions' role).
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';

export interface RemoteTarget {
  stage: string;
  /** cli/region.ts regionOf: the same rule as `sls deploy`. */
  region: string;
  profile?: string;
}

export type InvokeResult = { ok: true; payload: unknown } | { ok: false; errorType: string; errorMessage: string };

/** osls names a function <service>-<stage>-<function key in serverless.yml>. */
export function reconcileFunctionName(stage: string): string {
  return `fleetwatch-${stage}-reconcile`;
}

/** The CLI's one composition point for the SDK. */
export function lambdaClient(target: RemoteTarget): LambdaClient {
  return new LambdaClient({
    region: target.region,
    ...(target.profile && { profile: target.profile }),
    // The function runs for up to 15 minutes. A retry after a dropped connection would start a
    // second reconcile while the first may still be running; report the error and let the
    // operator run it again instead.
    maxAttempts: 1,
  });
}

/** `fleetwatch redrive`: the stage's queues, with the operator's credentials. */
export function sqsClient(target: RemoteTarget): SQSClient {
  // eslint-disable-next-line no-restricted-syntax -- the CLI's composition point: the operator's credentials, not a function's role
  return new SQSClient({ region: target.region, ...(target.profile && { profile: target.profile }) });
}

/**
 * Invokes `reconcile` and waits for its answer (RequestResponse). A function error (the handler
 * threw: bad input, scope too large, an AWS error) comes back as FunctionError with Lambda's
 * {errorType, errorMessage} payload, not as an exception.
 */
export async function invokeReconcile(target: RemoteTarget, request: Record<string, unknown>): Promise<InvokeResult> {
  const client = lambdaClient(target);
  try {
    const response = await client.send(
      new InvokeCommand({
        FunctionName: reconcileFunctionName(target.stage),
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(request)),
      }),
    );
    const text = response.Payload ? new TextDecoder().decode(response.Payload) : '';
    if (response.FunctionError) {
      const body = parseJson(text) as { errorType?: unknown; errorMessage?: unknown } | undefined;
      return {
        ok: false,
        errorType: typeof body?.errorType === 'string' ? body.errorType : response.FunctionError,
        errorMessage: typeof body?.errorMessage === 'string' ? body.errorMessage : text || '(no message)',
      };
    }
    return { ok: true, payload: parseJson(text) ?? null };
  } finally {
    client.destroy();
  }
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
