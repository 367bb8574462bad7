import JSON

/// Checks a log line against the CloudWatch Embedded Metric Format specification's required members
/// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
/// what CloudWatch Logs needs to turn the line into metrics, and what makes it drop the line silently.
package enum EmbeddedMetricFormat {
    /// The units the specification allows.
    static let units: Set<String> = [
        "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes", "Bits",
        "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second",
        "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second",
        "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
    ]

    /// What is wrong with `line` as an EMF record; empty when it is valid.
    package static func problems(in line: String) -> [String] {
        guard let object = (try? JSONValue(parsing: line))?.objectValue else { return ["not a JSON object"] }
        guard let aws = object["_aws"]?.objectValue else { return ["no _aws object"] }
        var problems: [String] = []
        if case .number(let text)? = aws["Timestamp"], Int64(text) != nil {
        } else {
            problems.append("_aws.Timestamp is not an integer of epoch milliseconds")
        }
        guard let directives = aws["CloudWatchMetrics"]?.arrayValue, !directives.isEmpty else {
            return problems + ["_aws.CloudWatchMetrics is not a non-empty array"]
        }
        for (index, value) in directives.enumerated() {
            guard let directive = value.objectValue else {
                problems.append("directive \(index) is not an object")
                continue
            }
            let namespace = directive["Namespace"]?.stringValue ?? ""
            if namespace.isEmpty || namespace.count > 255 { problems.append("directive \(index): bad Namespace") }
            guard let sets = directive["Dimensions"]?.arrayValue else {
                problems.append("directive \(index): Dimensions is not an array")
                continue
            }
            for set in sets {
                guard let names = set.arrayValue?.compactMap(\.stringValue), names.count == set.arrayValue?.count,
                    names.count <= 30
                else {
                    problems.append("directive \(index): a dimension set is not an array of up to 30 names")
                    continue
                }
                for name in names where object[name]?.stringValue == nil {
                    problems.append("dimension \(name) has no string member")
                }
            }
            guard let metrics = directive["Metrics"]?.arrayValue, !metrics.isEmpty, metrics.count <= 100 else {
                problems.append("directive \(index): Metrics is not an array of 1 to 100")
                continue
            }
            for metric in metrics {
                guard let name = metric.objectValue?["Name"]?.stringValue, !name.isEmpty, name.count <= 1024 else {
                    problems.append("directive \(index): a metric without a Name")
                    continue
                }
                if let unit = metric.objectValue?["Unit"], !(unit.stringValue.map(units.contains) ?? false) {
                    problems.append("metric \(name): unit \(unit.serialized) is not one CloudWatch knows")
                }
                guard case .number? = object[name] else {
                    problems.append("metric \(name) has no number member")
                    continue
                }
            }
        }
        return problems
    }
}
