"""The sales board: its columns and figures (selectors), filter and message forms, views,
export and the batch text message to the customers on it."""
