"""Pure builders: the data the components turn into resources (alarm specs, dashboard body,
workflow definition, IAM documents, code archives, event patterns). Nothing here creates a
resource, so each builder can be tested without the Pulumi engine.
"""
