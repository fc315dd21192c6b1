// Graph storage, lookups, topological order, use lists and rewiring.
#include "graph/graph.h"

#include <algorithm>
#include <map>
#include <queue>

#include "graph/op_registry.h"

namespace bronze {

std::string TensorType::ToString() const {
  return std::string(DTypeName(dtype)) + shape.ToListString();
}

const std::string& Node::op_name() const {
  static const std::string kNone = "<no op>";
  return op ? op->name : kNone;
}

std::string Node::Describe() const { return "node '" + name + "' (" + op_name() + ")"; }

Graph::Graph(std::string name) : name_(std::move(name)) {}
Graph::~Graph() = default;

Graph::Graph(const Graph& other)
    : name_(other.name_), by_name_(other.by_name_), outputs_(other.outputs_),
      num_live_(other.num_live_) {
  nodes_.reserve(other.nodes_.size());
  for (const auto& n : other.nodes_) nodes_.push_back(n ? std::make_unique<Node>(*n) : nullptr);
}

Graph& Graph::operator=(const Graph& other) {
  if (this != &other) *this = Graph(other);
  return *this;
}

NodeId Graph::AddNode(const OpSchema* op, std::vector<Value> inputs, AttrMap attrs,
                      std::vector<TensorType> outputs, std::string name, std::string location) {
  if (name.empty()) throw GraphError("a node needs a name");
  if (by_name_.count(name)) throw GraphError("node name '" + name + "' is already used in graph '" + name_ + "'");
  auto n = std::make_unique<Node>();
  n->id = static_cast<NodeId>(nodes_.size());
  n->op = op;
  n->name = std::move(name);
  n->inputs = std::move(inputs);
  n->attrs = std::move(attrs);
  n->outputs = std::move(outputs);
  n->location = std::move(location);
  by_name_[n->name] = n->id;
  nodes_.push_back(std::move(n));
  ++num_live_;
  return nodes_.back()->id;
}

void Graph::EraseNode(NodeId id) {
  Node& n = node(id);
  by_name_.erase(n.name);
  nodes_[static_cast<size_t>(id)].reset();
  --num_live_;
}

bool Graph::alive(NodeId id) const {
  return id >= 0 && static_cast<size_t>(id) < nodes_.size() && nodes_[static_cast<size_t>(id)];
}

Node& Graph::node(NodeId id) {
  if (!alive(id)) throw GraphError("graph '" + name_ + "' has no node with id " + std::to_string(id));
  return *nodes_[static_cast<size_t>(id)];
}

const Node& Graph::node(NodeId id) const { return const_cast<Graph*>(this)->node(id); }

const TensorType& Graph::type(Value v) const {
  const Node& n = node(v.node);
  if (v.index < 0 || static_cast<size_t>(v.index) >= n.outputs.size()) {
    throw GraphError(n.Describe() + " has no output " + std::to_string(v.index) + " (it has " +
                     std::to_string(n.outputs.size()) + ")");
  }
  return n.outputs[static_cast<size_t>(v.index)];
}

std::vector<NodeId> Graph::node_ids() const {
  std::vector<NodeId> ids;
  ids.reserve(num_live_);
  for (const auto& n : nodes_) {
    if (n) ids.push_back(n->id);
  }
  return ids;
}

NodeId Graph::FindNode(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? kNoNode : it->second;
}

std::vector<NodeId> Graph::TopologicalOrder() const {
  // Kahn's algorithm with a min-heap on ids: creation order wherever the edges allow it.
  std::vector<int> pending(nodes_.size(), 0);
  std::vector<std::vector<NodeId>> users(nodes_.size());
  for (const auto& n : nodes_) {
    if (!n) continue;
    for (const Value& in : n->inputs) {
      if (!alive(in.node)) {
        throw GraphError(n->Describe() + " reads from node id " + std::to_string(in.node) +
                         ", which does not exist");
      }
      ++pending[static_cast<size_t>(n->id)];
      users[static_cast<size_t>(in.node)].push_back(n->id);
    }
  }
  // Write-after-read edges: an in-place writer waits for every other reader of its target.
  std::vector<std::vector<NodeId>> after(nodes_.size());  // [writer] -> readers it waits for
  bool any_inplace = false;
  for (const auto& n : nodes_) any_inplace = any_inplace || (n && n->op && !n->op->inplace.empty());
  if (any_inplace) {
    std::map<Value, std::vector<NodeId>> readers;
    for (const auto& n : nodes_) {
      if (!n) continue;
      for (const Value& in : n->inputs) {
        auto& r = readers[in];
        if (r.empty() || r.back() != n->id) r.push_back(n->id);
      }
    }
    for (const auto& n : nodes_) {
      if (!n || !n->op) continue;
      for (const auto& [k, j] : InplacePairs(*n)) {
        for (NodeId r : readers[n->inputs[static_cast<size_t>(j)]]) {
          if (r == n->id) continue;
          after[static_cast<size_t>(n->id)].push_back(r);
          ++pending[static_cast<size_t>(n->id)];
          users[static_cast<size_t>(r)].push_back(n->id);
        }
      }
    }
  }
  // In graphs with in-place updates: sources first (they compute nothing; a late learning-rate
  // input would otherwise hold every update back), then updates once ready, so an optimizer step
  // runs as soon as its gradient exists, freeing the gradient early and using it while it is
  // still in cache; then everything else. Other graphs keep plain id order.
  auto key = [&](NodeId id) {
    const Node& n = *nodes_[static_cast<size_t>(id)];
    int rank = 2;
    if (any_inplace && n.op) rank = n.op->is_source ? 0 : !n.op->inplace.empty() ? 1 : 2;
    return std::pair<int, NodeId>{rank, id};
  };
  std::priority_queue<std::pair<int, NodeId>, std::vector<std::pair<int, NodeId>>, std::greater<>> ready;
  for (const auto& n : nodes_) {
    if (n && pending[static_cast<size_t>(n->id)] == 0) ready.push(key(n->id));
  }
  std::vector<NodeId> order;
  order.reserve(num_live_);
  while (!ready.empty()) {
    NodeId id = ready.top().second;
    ready.pop();
    order.push_back(id);
    for (NodeId u : users[static_cast<size_t>(id)]) {
      if (--pending[static_cast<size_t>(u)] == 0) ready.push(key(u));
    }
  }
  if (order.size() != num_live_) {
    // Walk back from a stuck node along stuck inputs until a node repeats: that is a cycle.
    NodeId start = kNoNode;
    for (const auto& n : nodes_) {
      if (n && pending[static_cast<size_t>(n->id)] > 0) { start = n->id; break; }
    }
    std::vector<NodeId> path;
    std::vector<int> seen_at(nodes_.size(), -1);
    NodeId cur = start;
    while (seen_at[static_cast<size_t>(cur)] < 0) {
      seen_at[static_cast<size_t>(cur)] = static_cast<int>(path.size());
      path.push_back(cur);
      NodeId next = kNoNode;
      for (const Value& in : node(cur).inputs) {
        if (pending[static_cast<size_t>(in.node)] > 0) { next = in.node; break; }
      }
      for (NodeId r : after[static_cast<size_t>(cur)]) {
        if (next == kNoNode && pending[static_cast<size_t>(r)] > 0) next = r;
      }
      if (next == kNoNode) break;
      cur = next;
    }
    std::string cycle;
    for (size_t k = static_cast<size_t>(seen_at[static_cast<size_t>(cur)]); k < path.size(); ++k) {
      cycle = "'" + node(path[k]).name + "' -> " + cycle;  // path runs against the edges
    }
    cycle = "'" + node(cur).name + "' -> " + cycle;
    cycle.resize(cycle.size() - 4);
    throw GraphError("graph '" + name_ + "' has a cycle: " + cycle);
  }
  return order;
}

static std::vector<NodeId> NodesOfOp(const std::vector<std::unique_ptr<Node>>& nodes,
                                     std::string_view op) {
  std::vector<NodeId> ids;
  for (const auto& n : nodes) {
    if (n && n->op && n->op->name == op) ids.push_back(n->id);
  }
  return ids;
}

std::vector<NodeId> Graph::Placeholders() const { return NodesOfOp(nodes_, "placeholder"); }
std::vector<NodeId> Graph::Parameters() const { return NodesOfOp(nodes_, "parameter"); }
std::vector<NodeId> Graph::States() const { return NodesOfOp(nodes_, "state"); }

std::vector<std::vector<std::pair<NodeId, int>>> Graph::Uses() const {
  std::vector<std::vector<std::pair<NodeId, int>>> uses(nodes_.size());
  for (const auto& n : nodes_) {
    if (!n) continue;
    for (size_t k = 0; k < n->inputs.size(); ++k) {
      NodeId src = n->inputs[k].node;
      if (src >= 0 && static_cast<size_t>(src) < nodes_.size()) {
        uses[static_cast<size_t>(src)].emplace_back(n->id, static_cast<int>(k));
      }
    }
  }
  return uses;
}

int Graph::ReplaceAllUses(Value from, Value to) {
  int count = 0;
  for (auto& n : nodes_) {
    if (!n) continue;
    for (Value& in : n->inputs) {
      if (in == from) { in = to; ++count; }
    }
  }
  for (GraphOutput& o : outputs_) {
    if (o.value == from) { o.value = to; ++count; }
  }
  return count;
}

void Graph::AddOutput(std::string name, Value value) {
  if (name.empty()) throw GraphError("a graph output needs a name");
  for (const GraphOutput& o : outputs_) {
    if (o.name == name) throw GraphError("graph output name '" + name + "' is already used");
  }
  type(value);  // throws for a value that does not exist
  outputs_.push_back({std::move(name), value});
}

std::vector<NodeId> Graph::Compact() {
  std::vector<NodeId> order = TopologicalOrder();
  std::vector<NodeId> remap(nodes_.size(), kNoNode);
  for (size_t k = 0; k < order.size(); ++k) remap[static_cast<size_t>(order[k])] = static_cast<NodeId>(k);
  std::vector<std::unique_ptr<Node>> fresh(order.size());
  for (size_t k = 0; k < order.size(); ++k) {
    auto n = std::move(nodes_[static_cast<size_t>(order[k])]);
    n->id = static_cast<NodeId>(k);
    for (Value& in : n->inputs) in.node = remap[static_cast<size_t>(in.node)];
    fresh[k] = std::move(n);
  }
  nodes_ = std::move(fresh);
  by_name_.clear();
  for (const auto& n : nodes_) by_name_[n->name] = n->id;
  for (GraphOutput& o : outputs_) o.value.node = remap[static_cast<size_t>(o.value.node)];
  return remap;
}

std::string Graph::UniqueName(std::string_view base) const {
  std::string b(base.empty() ? "node" : base);
  if (!by_name_.count(b)) return b;
  for (int k = 1;; ++k) {
    std::string cand = b + "_" + std::to_string(k);
    if (!by_name_.count(cand)) return cand;
  }
}

}  // namespace bronze
