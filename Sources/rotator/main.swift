import BuiltInTargets
import LambdaRuntime
import Rotation

#if canImport(Glibc)
    import Glibc
#endif

// Lambda mode when the Runtime API is there; otherwise the command-line tool.
let environment = ProcessEnvironment.read()
if environment["AWS_LAMBDA_RUNTIME_API"] != nil {
    exit(RotationLambda.run(environment: environment, targets: BuiltInTargets.all))
}
RotatorCommand.main()
