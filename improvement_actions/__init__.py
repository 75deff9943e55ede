"""Improvement actions: what a team commits to do to get better, tracked to done, whatever produced it (a QAF
action plan, a case file review, a supervision session). Each feature attaches a *source* to the actions it
creates and registers a policy saying who may see, track and edit the actions of its sources."""
