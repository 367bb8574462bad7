import Rotation

#if canImport(Glibc)
    import Glibc
#endif

// Everything else (the Runtime API loop, Secrets Manager, the preamble checks, createSecret and moving
// AWSCURRENT) comes from the library. ROTATOR_TARGET=example-api-key selects this target.
let apiKeyTarget = TargetChoice(name: "example-api-key") { environment in
    APIKeyTarget(endpoint: environment["PARTNER_API_ENDPOINT"] ?? "https://partner.example.com")
}
exit(RotationLambda.run(targets: [apiKeyTarget]))
