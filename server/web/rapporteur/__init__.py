"""The rapporteur's side: the page with figures and the summary draft, downloads and packs, and the editor."""
