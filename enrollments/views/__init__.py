"""Portal views, one module per page family. Views stay thin: forms, services, templates."""
