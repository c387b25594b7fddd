"""One repository per aggregate. Repositories return domain values and never commit."""
