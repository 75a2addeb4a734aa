import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { PollDispatcher } from '../../usecases/ports.js';

/** Invokes the poller function asynchronously: a lookback poll, or one backfill window. */
export class LambdaPollDispatcher implements PollDispatcher {
  constructor(
    private readonly client: LambdaClient,
    private readonly functionName: string,
  ) {}

  async dispatch(window?: { from: string; to: string; resume: boolean }): Promise<void> {
    await this.client.send(new InvokeCommand({ FunctionName: this.functionName, InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(window ?? {})) }));
  }
}

/** The dispatcher of TOKMON_POLLER_FUNCTION_NAME (set on the api function on AWS), or undefined: locally polls run in the request. */
export function pollDispatcherFromEnv(env: NodeJS.ProcessEnv = process.env): PollDispatcher | undefined {
  return env.TOKMON_POLLER_FUNCTION_NAME ? new LambdaPollDispatcher(new LambdaClient({}), env.TOKMON_POLLER_FUNCTION_NAME) : undefined;
}
