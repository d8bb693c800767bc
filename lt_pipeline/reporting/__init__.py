"""What a user reads and looks at: pictures of live against paper, and the text report of `lt report`."""
