import { main } from './main.js';

// Let pending stdout writes finish instead of calling process.exit().
process.exitCode = await main(process.argv);
