import BuiltInTargets
import Rotation

#if canImport(Glibc)
    import Glibc
#endif

// The binary in the Lambda zip: the rotation function and nothing else. It is the same library as `rotator`'s
// Lambda mode, without the command line (swift-argument-parser brings FoundationEssentials: megabytes of code
// and about 3 MB of resident memory that a Lambda invocation never uses).
exit(RotationLambda.run(targets: BuiltInTargets.all))
