"""What people look at: the session plot, the session report page, the trend page, text tables."""
