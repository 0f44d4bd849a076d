using AgentGrains.Bench;

// Every mode runs real Orleans silos in this process; `--help` lists the modes.
return await BenchCommand.RunAsync(args);
