enum PlannerPlaceholder {}
