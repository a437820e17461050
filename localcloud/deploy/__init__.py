"""Program → resources: the Pulumi program under the SDK mocks, one handler per resource type."""
