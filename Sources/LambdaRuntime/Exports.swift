// A handler's `LambdaContext` carries a `Deadline`: packages that import LambdaRuntime can name the type
// without depending on Timekeeping themselves.
@_exported import Timekeeping
