"""Data access: one module per table or AWS service the functions use. Each reads the name of
its resource from its typed setting (`plumbing.settings`) when it is called."""
