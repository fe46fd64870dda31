enum ExecutionPlaceholder {}
