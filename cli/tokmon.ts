import { main } from './main.js';

// The AWS SDK warns on every start that future versions need Node 22; tokmon supports Node >= 20.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (!`${warning.name} ${warning.message}`.includes('NodeVersionSupportWarning')) console.error(`${warning.name}: ${warning.message}`);
});

// Let pending stdout writes finish instead of calling process.exit().
process.exitCode = await main(process.argv);
