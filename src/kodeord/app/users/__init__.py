"""Console users: accounts, sign-in and sessions, invitations and password resets."""
