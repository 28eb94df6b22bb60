"""HQ's price rules: versioned price floors and promotions, and the price they make a line."""
