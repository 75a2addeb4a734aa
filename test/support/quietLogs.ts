// The JSON log lines of in-process handlers would drown the test report; tests of what is logged run the binary with TOKMON_LOG=''.
process.env.TOKMON_LOG ??= 'silent';
