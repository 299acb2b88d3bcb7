"""What the tests share and are not tests themselves: fakes, documents, servers, the browser."""
