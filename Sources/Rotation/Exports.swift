// A custom target's context hands it a `Deadline`: packages that import Rotation can name the type without
// depending on Timekeeping themselves.
@_exported import Timekeeping
