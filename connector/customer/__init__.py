"""The customer's page (issue 14 item 4): one signed, expiring link per order, from every customer
e-mail, showing each backordered item with its expected date and history, where the customer cancels
waiting items, keeps waiting, and chooses how to be told. See docs/customer-page.md."""
