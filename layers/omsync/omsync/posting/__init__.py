"""Pure posting rules: (order | product | inbound, mapping) -> planned Accurate documents. No I/O here."""
