#!/usr/bin/env python3
"""Rule 4 of .ci/architecture: no import circle among the modules of any folder of src/
(a `super::x` or `crate::folder::x` in one module that leads back to it). A module's files
are its .rs file, or every file under its folder; comment lines are not code."""
import os, re, sys, itertools
root=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src')
bad=False
for folder, dirs, files in os.walk(root):
    mods=[f[:-3] for f in files if f.endswith('.rs') and f not in ('mod.rs','lib.rs','main.rs')] + [d for d in dirs if os.path.exists(os.path.join(folder,d,'mod.rs'))]
    if len(mods)<2: continue
    edges={m:set() for m in mods}
    for m in mods:
        path=os.path.join(folder,m+'.rs') if os.path.exists(os.path.join(folder,m+'.rs')) else os.path.join(folder,m)
        paths=[path] if path.endswith('.rs') else [os.path.join(dp,f) for dp,_,fs in os.walk(path) for f in fs if f.endswith('.rs')]
        text=''
        for p in paths:
            for line in open(p):
                if line.strip().startswith('//'): continue
                text+=line
        for n in mods:
            if n==m: continue
            # super::n or crate::<folderpath>::n
            relative=os.path.relpath(folder, root)
            modpath='::'.join(([] if relative == '.' else relative.split(os.sep))+[n])
            if re.search(r'super::(\{[^}]*\b%s\b|%s\b)'%(n,n), text) or re.search(r'crate::%s\b'%re.escape(modpath), text):
                edges[m].add(n)
    # find cycles via DFS
    color={}
    def dfs(u,stack):
        global bad
        color[u]=1; stack.append(u)
        for v in edges[u]:
            if color.get(v)==1:
                print(f"error: an import circle in src/{os.path.relpath(folder, root)}: {' -> '.join(stack[stack.index(v):]+[v])}"); bad=True
            elif not color.get(v): dfs(v,stack)
        stack.pop(); color[u]=2
    for m in mods:
        if not color.get(m): dfs(m,[])
sys.exit(1 if bad else 0)
