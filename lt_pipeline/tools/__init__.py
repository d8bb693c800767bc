"""Operator and developer tools: the `lt` command, benchmarks, the fault drill, the demo, the stack launcher. Nothing in the domain packages imports from here."""
