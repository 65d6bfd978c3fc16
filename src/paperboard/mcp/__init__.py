"""The MCP server: paperboard's papers, boards, discussion and the user's library for agents
(DESIGN.md §6c).

  server.py          build_server(runtime): the SDK's MCPServer with every tool and resource
  tools_read.py      search_papers, get_paper, read_paper, similar_papers, paper_comments
  tools_boards.py    daily_papers, trending_papers
  tools_personal.py  with an API token: upvote_paper, list_collections, add_to_collection,
                     my_feed
  resources.py       paper://{id}
  shapes.py          the tools' output models and their Markdown text
  caller.py          who calls: the API token (Bearer header, or stdio's), the client address
  http.py            the Streamable HTTP endpoint the web app serves at /mcp

docs/agents.md says how to connect clients.
"""
