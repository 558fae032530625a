"""What every route shares, below the routes: problem types, base schemas, instants, pagination, ETags."""
