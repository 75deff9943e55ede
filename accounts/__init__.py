"""Who is who: agencies, the accounts people sign in with (roles, passwords, sign-in), and the case management
workforce (staff members and teams). Every feature builds on it; it builds only on ``core``."""
