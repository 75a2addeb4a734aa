import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { deployConfig } from './deployConfig.js';
import { TokmonStatefulStack } from './statefulStack.js';
import { TokmonStatelessStack } from './statelessStack.js';

/** Both stacks with the cdk-nag AwsSolutions and Serverless packs; synthesizes with no AWS credentials or network. */
export function buildApp(app = new App(), configPath?: string): { app: App; stateful: TokmonStatefulStack; stateless: TokmonStatelessStack } {
  const config = deployConfig(configPath);
  const stateful = new TokmonStatefulStack(app, 'TokmonStateful', { description: 'tokmon tables, bootstrap key and Anthropic admin key (retained)' });
  const stateless = new TokmonStatelessStack(app, 'TokmonStateless', {
    description: 'tokmon functions, HTTP API, schedules, alerts topic and alarms',
    eventsTable: stateful.eventsTable,
    summariesTable: stateful.summariesTable,
    keysTable: stateful.keysTable,
    adminKeySecret: stateful.adminKeySecret,
    anthropicAdminKeySecret: stateful.anthropicAdminKeySecret,
    bundledConfig: config.bundled,
    notifications: config.tokenMonitoring,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, stateful, stateless };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  buildApp().app.synth();
}
