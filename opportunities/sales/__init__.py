"""Products, deal lines, quotes, sales orders and sales targets. Builds on the deal services;
the deal services reach it only through ``services.on_deal_won``."""
