"""What managers and task force leads see across the features: one tracker of every improvement action, My
actions, assessments compared over time, dashboards with the guidelines' indicators, the evidence the tool holds
for each QAF component, and the monthly management report. It reads the other features; none of them imports it
(the application passes its evidence to the workshop, see ``app.wiring``)."""
