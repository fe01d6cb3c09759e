"""What runs on the user's side: browser assets (``client/web``) and the captioner bridge."""
