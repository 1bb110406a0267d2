#include "keeper/shelter.h"

#include "handle/node_id.h"
#include "image/image.h"
#include "util/log.h"

namespace ext4fh {
namespace {

Status Shelter(const KeeperConfig& config, SharedState& state) {
  ASSIGN_OR_RETURN(std::unique_ptr<NodeTable> nodes, state.MapNodes());
  ImageOptions options;
  options.open.path = config.server.image_path;
  options.open.offset = config.server.offset;
  options.open.read_write = true;
  options.open.mmp_takeover = true;  // the dead server's
  options.resuming = true;
  ASSIGN_OR_RETURN(std::unique_ptr<Image> image, Image::Open(options));
  if (image->read_only()) {
    return OkStatus();
  }
  ASSIGN_OR_RETURN(int sheltered,
                   image->ShelterOrphans([&](uint32_t ino, uint32_t gen) {
                     return nodes->Count(EncodeNodeId(NodeId{ino, gen})) > 0;
                   }));
  if (sheltered > 0) {
    LOG(INFO) << "Kept " << sheltered << " open unlinked files from fsck";
  }
  return image->Close(/*clean_unmount=*/false);
}

}  // namespace

void ShelterHeldOrphans(const KeeperConfig& config, SharedState& state) {
  if (!config.server.read_write) {
    return;
  }
  Status st = Shelter(config, state);
  if (!st.ok()) {
    LOG(WARNING) << "Cannot keep open unlinked files from fsck: "
                 << st.ToString();
  }
}

}  // namespace ext4fh
