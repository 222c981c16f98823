-- On a cluster, where the limit ran as a script of its own: one request held
-- back by a suspect bound, counted with the article's burst record (lib.lua).
-- ARGV: prefix, article id, now, kind (views_suspect, reactions_suspect),
--       scopes (comma separated), rule letter, hits the bound let through.
suspect(ARGV[2], tonumber(ARGV[3]), ARGV[4], split(ARGV[5], ','), ARGV[6], tonumber(ARGV[7]))
return 1
