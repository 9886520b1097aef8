import type { ErpDialect } from './dialects';

const NS = 'http://cradle.example/erp/v1';

/** A document/literal WSDL 1.1 of the regional ERP service, with the record fields named in the ERP's dialect. */
export function erpWsdl(d: ErpDialect, endpoint: string): string {
  const fields = (names: Record<string, string>) =>
    [...new Set(Object.values(names))].map((n) => `<xsd:element name="${n}" type="xsd:string" minOccurs="0"/>`).join('\n          ');
  const list = (name: string, item: string) => `
      <xsd:complexType name="${name}">
        <xsd:sequence><xsd:element name="Item" type="tns:${item}" minOccurs="0" maxOccurs="unbounded"/></xsd:sequence>
      </xsd:complexType>`;
  const op = (name: string, input: string, output: string) => `
      <xsd:element name="${name}Request"><xsd:complexType><xsd:sequence>${input}</xsd:sequence></xsd:complexType></xsd:element>
      <xsd:element name="${name}Response"><xsd:complexType><xsd:sequence>${output}</xsd:sequence></xsd:complexType></xsd:element>`;
  const feedIn = '<xsd:element name="After" type="xsd:string"/><xsd:element name="Limit" type="xsd:string"/>';
  const ops: Array<[string, string, string]> = [
    ['GetStockSnapshot', '<xsd:element name="Plant" type="xsd:string"/>', '<xsd:element name="AsOf" type="xsd:string"/><xsd:element name="Items" type="tns:StockList"/>'],
    ['GetStockMovements', feedIn, '<xsd:element name="Last" type="xsd:string"/><xsd:element name="Items" type="tns:MovementList"/>'],
    ['GetCustomers', '<xsd:element name="Since" type="xsd:string" minOccurs="0"/>', '<xsd:element name="Items" type="tns:CustomerList"/>'],
    ['GetInvoices', feedIn, '<xsd:element name="Last" type="xsd:string"/><xsd:element name="Items" type="tns:InvoiceList"/>'],
    ['GetPayments', feedIn, '<xsd:element name="Last" type="xsd:string"/><xsd:element name="Items" type="tns:PaymentList"/>'],
    [
      'ExportSalesOrder',
      '<xsd:element name="OrderNo" type="xsd:string"/><xsd:element name="CustomerNo" type="xsd:string"/><xsd:element name="Lines" type="tns:OrderLines"/>',
      '<xsd:element name="DocumentNo" type="xsd:string"/><xsd:element name="Status" type="xsd:string"/>',
    ],
  ];
  return `<?xml version="1.0" encoding="UTF-8"?>
<definitions name="RegionalErp" targetNamespace="${NS}" xmlns="http://schemas.xmlsoap.org/wsdl/"
  xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:tns="${NS}" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <types>
    <xsd:schema targetNamespace="${NS}" elementFormDefault="qualified">
      <xsd:complexType name="StockItem"><xsd:sequence>
          ${fields(d.stock)}
      </xsd:sequence></xsd:complexType>
      <xsd:complexType name="MovementItem"><xsd:sequence>
          ${fields(d.movement)}
      </xsd:sequence></xsd:complexType>
      <xsd:complexType name="CustomerItem"><xsd:sequence>
          ${fields(d.customer)}
      </xsd:sequence></xsd:complexType>
      <xsd:complexType name="InvoiceItem"><xsd:sequence>
          ${fields(d.invoice)}
      </xsd:sequence></xsd:complexType>
      <xsd:complexType name="PaymentItem"><xsd:sequence>
          ${fields(d.payment)}
      </xsd:sequence></xsd:complexType>
      <xsd:complexType name="OrderLine"><xsd:sequence>
          <xsd:element name="Gtin" type="xsd:string"/><xsd:element name="Quantity" type="xsd:string"/>
      </xsd:sequence></xsd:complexType>
      <xsd:complexType name="OrderLines"><xsd:sequence><xsd:element name="Line" type="tns:OrderLine" maxOccurs="unbounded"/></xsd:sequence></xsd:complexType>
      ${list('StockList', 'StockItem')}${list('MovementList', 'MovementItem')}${list('CustomerList', 'CustomerItem')}${list('InvoiceList', 'InvoiceItem')}${list('PaymentList', 'PaymentItem')}
      ${ops.map(([n, i, o]) => op(n, i, o)).join('')}
    </xsd:schema>
  </types>
  ${ops.map(([n]) => `<message name="${n}Input"><part name="parameters" element="tns:${n}Request"/></message>
  <message name="${n}Output"><part name="parameters" element="tns:${n}Response"/></message>`).join('\n  ')}
  <portType name="ErpPortType">
    ${ops.map(([n]) => `<operation name="${n}"><input message="tns:${n}Input"/><output message="tns:${n}Output"/></operation>`).join('\n    ')}
  </portType>
  <binding name="ErpBinding" type="tns:ErpPortType">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    ${ops.map(([n]) => `<operation name="${n}"><soap:operation soapAction="${NS}/${n}"/><input><soap:body use="literal"/></input><output><soap:body use="literal"/></output></operation>`).join('\n    ')}
  </binding>
  <service name="ErpService">
    <port name="ErpPort" binding="tns:ErpBinding"><soap:address location="${endpoint}"/></port>
  </service>
</definitions>`;
}
