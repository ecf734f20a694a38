// Tests get the shared sample data with `import SpindleTesting`.
@_exported public import SpindleSamples
