import Testing

@testable import XML

/// The XML reader on what AWS answers, and on what it must refuse.
@Suite struct XMLReaderTests {
    static func parse(_ text: String) throws -> XMLElement { try XMLReader.parse(Array(text.utf8)) }

    @Test("an RDS answer: the declaration, namespaces, nested elements, empty elements, entities")
    func rdsAnswer() throws {
        let document = try Self.parse(
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
              <DescribeDBInstancesResult>
                <DBInstances>
                  <DBInstance>
                    <DBInstanceIdentifier>app&amp;db</DBInstanceIdentifier>
                    <Endpoint><Address>a.b.rds.amazonaws.com</Address><Port>5432</Port></Endpoint>
                    <ReadReplicaDBInstanceIdentifiers/>
                    <Note><![CDATA[<not a tag> & more]]> &#x263A;&#65;</Note>
                  </DBInstance>
                </DBInstances>
              </DescribeDBInstancesResult>
              <!-- a comment -->
            </DescribeDBInstancesResponse>
            """)
        #expect(document.name == "DescribeDBInstancesResponse")
        let instance = try #require(
            document.child("DescribeDBInstancesResult")?.child("DBInstances")?.child("DBInstance"))
        #expect(instance.text("DBInstanceIdentifier") == "app&db")
        #expect(instance.text("Endpoint", "Address") == "a.b.rds.amazonaws.com")
        #expect(instance.text("Endpoint", "Port") == "5432")
        #expect(instance.child("ReadReplicaDBInstanceIdentifiers")?.children.isEmpty == true)
        #expect(instance.text("Note") == "<not a tag> & more ☺A")
        #expect(instance.text("Missing") == nil)
    }

    @Test("a prefixed element name is read by its local name")
    func prefixes() throws {
        #expect(try Self.parse("<a:Root xmlns:a='x'><a:Child>1</a:Child></a:Root>").text("Child") == "1")
    }

    @Test(
        "malformed or hostile documents are refused with where, never what",
        arguments: [
            ("<A><B></A>", "closes"),
            ("<A>", "is not closed"),
            ("<A></A><B></B>", "content after the root element"),
            ("<!DOCTYPE x [<!ENTITY e \"boom\">]><A>&e;</A>", "document type declaration"),
            ("<A>&e;</A>", "unknown entity"),
            ("<A>&#0;</A>", "unknown entity"),
            ("<A b=c></A>", "quoted attribute value"),
            ("<A><?pi x?></A>", "processing instruction"),
            ("plain text", "an element was expected"),
            ("", "an element was expected"),
        ])
    func refused(document: String, reason: String) {
        let error = #expect(throws: XMLReadError.self) { try Self.parse(document) }
        #expect(error?.reason.contains(reason) == true, "\(String(describing: error))")
        if document.contains("boom") { #expect(error?.description.contains("boom") == false) }
    }

    @Test("nesting deeper than any AWS answer is refused, not followed down the stack")
    func depth() {
        let deep = String(repeating: "<a>", count: 10_000) + String(repeating: "</a>", count: 10_000)
        let error = #expect(throws: XMLReadError.self) { try Self.parse(deep) }
        #expect(error?.reason.contains("nested deeper than 64") == true)
    }
}
