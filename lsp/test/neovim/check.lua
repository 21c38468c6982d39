-- Neovim (0.7+) as a real LSP client of the mpcrl server, headless. Started by neovim.test.ts as
--   nvim --headless --clean -c 'luafile check.lua' broken.mpcrl
-- with MPCRL_SERVER_CMD (JSON array) naming the server command and MPCRL_HOVER_LINE/COL (0-based)
-- a position to hover. Prints one JSON object with the diagnostics, the hover text and the words
-- colored as keywords by semantic tokens; exits 1 on
-- a timeout.
local cmd = vim.fn.json_decode(os.getenv('MPCRL_SERVER_CMD'))
local hover_line = tonumber(os.getenv('MPCRL_HOVER_LINE'))
local hover_col = tonumber(os.getenv('MPCRL_HOVER_COL'))
local result = { diagnostics = nil, hover = nil }
local got_diagnostics = false

vim.lsp.handlers['textDocument/publishDiagnostics'] = function(_, params, _, _)
  if params and params.diagnostics and #params.diagnostics > 0 then
    result.diagnostics = params.diagnostics
    got_diagnostics = true
  end
end

local id = vim.lsp.start_client({
  name = 'mpcrl',
  cmd = cmd,
  root_dir = vim.fn.getcwd(),
})
if not id then
  io.stderr:write('could not start the server\n')
  vim.cmd('cquit 1')
end
vim.lsp.buf_attach_client(0, id)

if not vim.wait(20000, function() return got_diagnostics end, 50) then
  io.stderr:write('timeout waiting for diagnostics\n')
  vim.cmd('cquit 1')
end

local params = {
  textDocument = { uri = vim.uri_from_bufnr(0) },
  position = { line = hover_line, character = hover_col },
}
local responses = vim.lsp.buf_request_sync(0, 'textDocument/hover', params, 10000)
if responses then
  for _, r in pairs(responses) do
    if r.result and r.result.contents then
      local c = r.result.contents
      result.hover = type(c) == 'table' and (c.value or c[1]) or c
    end
  end
end

-- Semantic tokens (Neovim has no grammar for .mpcrl): the words colored as keywords, decoded with
-- the legend the server announced.
local client = vim.lsp.get_client_by_id(id)
local provider = client and client.server_capabilities and client.server_capabilities.semanticTokensProvider
local legend = provider and provider.legend
local tok = vim.lsp.buf_request_sync(0, 'textDocument/semanticTokens/full', { textDocument = params.textDocument }, 10000)
result.keywords = {}
if tok and legend then
  local lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
  for _, r in pairs(tok) do
    local data = r.result and r.result.data or {}
    local line, char = 0, 0
    for i = 1, #data, 5 do
      local dl, dc, len, typ = data[i], data[i + 1], data[i + 2], data[i + 3]
      line = line + dl
      if dl == 0 then char = char + dc else char = dc end
      if legend.tokenTypes[typ + 1] == 'keyword' then
        table.insert(result.keywords, string.sub(lines[line + 1] or '', char + 1, char + len))
      end
    end
  end
end

io.stdout:write(vim.fn.json_encode(result) .. '\n')
vim.lsp.stop_client(id, true)
vim.cmd('qall!')
