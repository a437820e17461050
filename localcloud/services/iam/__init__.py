"""IAM in the local cloud: the functions' identities and the evaluation of their calls."""
