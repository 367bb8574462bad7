#!/usr/bin/env python3
"""The release's software bill of materials, as CycloneDX 1.5 JSON (https://cyclonedx.org/docs/1.5/json/).

  sbom.py VERSION OUT.json

Lists what is inside the released binaries: this project, the Swift packages of Package.resolved, the Swift runtime
(linked statically), and the C libraries linked statically from Debian's source packages (.build-deps/VERSIONS:
libcurl, libpq, MariaDB Connector/C) or Debian's own archives (OpenSSL, libstdc++), each with its version and source
package. No timestamp and a serial number derived from the contents, so the same inputs give the same bytes.
"""
import hashlib
import json
import pathlib
import re
import subprocess
import sys
import uuid

ROOT = pathlib.Path(__file__).resolve().parent.parent
version, out = sys.argv[1], pathlib.Path(sys.argv[2])

components = []
resolved = json.loads((ROOT / "Package.resolved").read_text())
for pin in sorted(resolved["pins"], key=lambda pin: pin["identity"]):
    location = pin["location"].removesuffix(".git")
    path = re.sub(r"^https://", "", location)
    components.append({
        "type": "library", "name": pin["identity"], "version": pin["state"]["version"],
        "purl": f"pkg:swift/{path}@{pin['state']['version']}",
        "externalReferences": [{"type": "vcs", "url": location}],
        "hashes": [{"alg": "SHA-1", "content": pin["state"]["revision"]}],
    })

swift = subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout
swift_version = re.search(r"Swift version (\S+)", swift).group(1)
components.append({
    "type": "library", "name": "swift-runtime", "version": swift_version,
    "description": "Swift standard library and runtime (and Foundation in the rotator command line), linked statically",
    "purl": f"pkg:generic/swift@{swift_version}",
})

debian = {  # name in .build-deps/VERSIONS -> (component, Debian source package, what it is)
    "curl": ("libcurl", "curl", "HTTP client, built statically with OpenSSL only"),
    "postgresql-15": ("libpq", "postgresql-15", "PostgreSQL client library, built statically"),
    "mariadb": ("mariadb-connector-c", "mariadb", "MariaDB Connector/C, built statically"),
    "openssl": ("openssl", "openssl", "libssl and libcrypto, Debian's static archives"),
    "libstdc++": ("libstdc++", "gcc-12", "GNU C++ library, Debian's static archive"),
}
for line in (ROOT / ".build-deps" / "VERSIONS").read_text().splitlines():
    name, package_version = line.split(" ", 1)
    component, source, what = debian[name]
    components.append({
        "type": "library", "name": component, "version": package_version, "description": what,
        "purl": f"pkg:deb/debian/{source}@{package_version}?distro=debian-12&arch=source",
    })

document = {
    "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
    "metadata": {
        "component": {
            "type": "application", "name": "rotator", "version": version,
            "licenses": [{"license": {"id": "Apache-2.0"}}],
            "description": "AWS Secrets Manager rotation function (Lambda zip) and its command line",
        },
    },
    "components": components,
}
body = json.dumps(document, indent=2, sort_keys=True)
serial = uuid.UUID(hashlib.sha256(body.encode()).hexdigest()[:32], version=4)
document["serialNumber"] = f"urn:uuid:{serial}"
out.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
print(f"sbom: {out} ({len(components)} components)")
