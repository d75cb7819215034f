// STEP to triangles with OpenCascade (OCCT), the kernel that wrote the files (CadQuery) and that
// f3d and FreeCAD read them with. Runs inside the `makistry-step-mesher` child process only, so
// a face that makes the kernel loop can be stopped by killing the process, and the window and the
// CLI never load OCCT themselves.
//
// Output, on stdout (little-endian, read by src/model/step.rs):
//   "MKSTEP2\n"
//   u32 part count, then per part:
//     u32 name length, name (UTF-8), f32 rgba (sRGB, alpha 1 = opaque), u8 has_colour,
//     u32 vertex count, f32 xyz per vertex (millimetres, placed in the assembly),
//     u32 triangle count, u32 i j k per triangle (counter-clockwise seen from outside)
//     u32 colour run count (0 when every face has the part's colour), then per run: u32 vertex
//       count, f32 rgba (sRGB): the vertices in order, face by face, in runs of one colour
//   u32 count of faces that could not be meshed, then per face: u32 length, text
// Progress, on stderr: lines "faces <done> <total>". Meshed one by one, a line comes before
// each face, so the parent knows which face a hang is in; meshed all at once (on every core),
// the lines say how far it got, and a hang there makes the parent run it again one by one.

#include <BRepBndLib.hxx>
#include <BRepMesh_IncrementalMesh.hxx>
#include <BRep_Builder.hxx>
#include <BRep_Tool.hxx>
#include <Bnd_Box.hxx>
#include <Message.hxx>
#include <Message_Messenger.hxx>
#include <Message_ProgressIndicator.hxx>
#include <Message_ProgressScope.hxx>
#include <Poly_Triangulation.hxx>
#include <Quantity_ColorRGBA.hxx>
#include <STEPCAFControl_Reader.hxx>
#include <Standard_Failure.hxx>
#include <TCollection_AsciiString.hxx>
#include <TCollection_ExtendedString.hxx>
#include <TDF_LabelSequence.hxx>
#include <TDataStd_Name.hxx>
#include <TDocStd_Document.hxx>
#include <TopExp_Explorer.hxx>
#include <NCollection_DataMap.hxx>
#include <TopTools_IndexedMapOfShape.hxx>
#include <TopTools_ShapeMapHasher.hxx>
#include <TopLoc_Location.hxx>
#include <TopoDS.hxx>
#include <TopoDS_Compound.hxx>
#include <TopoDS_Face.hxx>
#include <TopoDS_Shape.hxx>
#include <XCAFApp_Application.hxx>
#include <XCAFDoc_ColorTool.hxx>
#include <XCAFDoc_DocumentTool.hxx>
#include <XCAFDoc_ShapeTool.hxx>

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#include <process.h>
#else
#include <unistd.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

// How the quick path heals what it reads: OCCT's own STEP resource (as Debian ships it) less
// the fixes of self-intersecting, notched and small edges and wires, same-parameter, vertex
// tolerance and shell orientation. On every STEP file of the corpus (49, from a dozen CAD
// programs) they changed no triangle, yet cost a third of the healing time (CTC-02: 376 ->
// 240 ms). A file they would have mended shows bare faces, and the parent then reads it again
// carefully, with OCCT's full healing.
const char* const kQuickHealing = R"(
FromSTEP.exec.op : FixShape
FromSTEP.FixShape.Tolerance3d : &Runtime.Tolerance
FromSTEP.FixShape.MaxTolerance3d : &Runtime.MaxTolerance
FromSTEP.FixShape.MinTolerance3d : 1.e-7
FromSTEP.FixShape.FixFreeShellMode : -1
FromSTEP.FixShape.FixFreeFaceMode : -1
FromSTEP.FixShape.FixFreeWireMode : -1
FromSTEP.FixShape.FixSameParameterMode : 0
FromSTEP.FixShape.FixSolidMode : -1
FromSTEP.FixShape.FixShellOrientationMode : 0
FromSTEP.FixShape.CreateOpenSolidMode : 0
FromSTEP.FixShape.FixShellMode : -1
FromSTEP.FixShape.FixFaceOrientationMode : 0
FromSTEP.FixShape.FixFaceMode : -1
FromSTEP.FixShape.FixWireMode : -1
FromSTEP.FixShape.FixOrientationMode : -1
FromSTEP.FixShape.FixAddNaturalBoundMode : -1
FromSTEP.FixShape.FixMissingSeamMode : -1
FromSTEP.FixShape.FixSmallAreaWireMode : 0
FromSTEP.FixShape.RemoveSmallAreaFaceMode : 0
FromSTEP.FixShape.FixIntersectingWiresMode : 0
FromSTEP.FixShape.FixLoopWiresMode : 0
FromSTEP.FixShape.FixSplitFaceMode : 0
FromSTEP.FixShape.AutoCorrectPrecisionMode : 1
FromSTEP.FixShape.ModifyTopologyMode : 0
FromSTEP.FixShape.ModifyGeometryMode : 1
FromSTEP.FixShape.ClosedWireMode : 1
FromSTEP.FixShape.PreferencePCurveMode : 1
FromSTEP.FixShape.FixReorderMode : -1
FromSTEP.FixShape.FixSmallMode : 0
FromSTEP.FixShape.FixConnectedMode : -1
FromSTEP.FixShape.FixEdgeCurvesMode : -1
FromSTEP.FixShape.FixDegeneratedMode : -1
FromSTEP.FixShape.FixLackingMode : -1
FromSTEP.FixShape.FixSelfIntersectionMode : 0
FromSTEP.FixShape.RemoveLoopMode : -1
FromSTEP.FixShape.FixReversed2dMode : -1
FromSTEP.FixShape.FixRemovePCurveMode : -1
FromSTEP.FixShape.FixRemoveCurve3dMode : -1
FromSTEP.FixShape.FixAddPCurveMode : -1
FromSTEP.FixShape.FixAddCurve3dMode : -1
FromSTEP.FixShape.FixSeamMode : -1
FromSTEP.FixShape.FixShiftedMode : -1
FromSTEP.FixShape.FixEdgeSameParameterMode : 0
FromSTEP.FixShape.FixNotchedEdgesMode : 0
FromSTEP.FixShape.FixTailMode : 0
FromSTEP.FixShape.MaxTailAngle : 0
FromSTEP.FixShape.MaxTailWidth : -1
FromSTEP.FixShape.FixSelfIntersectingEdgeMode : 0
FromSTEP.FixShape.FixIntersectingEdgesMode : 0
FromSTEP.FixShape.FixNonAdjacentIntersectingEdgesMode : 0
FromSTEP.FixShape.FixVertexPositionMode : 0
FromSTEP.FixShape.FixVertexToleranceMode : 0
)";

// Makes OCCT heal with kQuickHealing while it lives: OCCT reads its healing resource only from
// the folder named by CSF_STEPDefaults, so the text goes into a folder of its own for the read.
class QuickHealing {
 public:
  QuickHealing() {
#ifdef _WIN32
    const long pid = static_cast<long>(_getpid());
#else
    const long pid = static_cast<long>(getpid());
#endif
    std::error_code failed;
    const auto unique = std::chrono::steady_clock::now().time_since_epoch().count();
    folder_ = std::filesystem::temp_directory_path(failed) /
              ("makistry-step-" + std::to_string(pid) + "-" + std::to_string(unique));
    if (failed || !std::filesystem::create_directory(folder_, failed)) {
      folder_.clear();  // then OCCT heals as it always does
      return;
    }
    std::ofstream(folder_ / "STEP") << kQuickHealing;
#ifdef _WIN32
    _putenv_s("CSF_STEPDefaults", folder_.string().c_str());
#else
    setenv("CSF_STEPDefaults", folder_.string().c_str(), 1);
#endif
  }
  ~QuickHealing() {
    std::error_code ignored;
    if (!folder_.empty()) std::filesystem::remove_all(folder_, ignored);
  }
  QuickHealing(const QuickHealing&) = delete;
  QuickHealing& operator=(const QuickHealing&) = delete;

 private:
  std::filesystem::path folder_;
};

struct Rgba {
  float v[4] = {0.55f, 0.57f, 0.6f, 1.0f};
  bool operator==(const Rgba& other) const { return std::equal(v, v + 4, other.v); }
};

struct Leaf {
  std::string name;
  TopoDS_Shape shape;         // placed (assembly locations applied)
  TopLoc_Location placement;  // what placed it
  bool has_colour = false;
  float rgba[4] = {0.55f, 0.57f, 0.6f, 1.0f};
};

// Colours the file gives faces (or shells and solids inside a part) of their own, by face as
// it is in its part, before an assembly places it.
using FaceColours = NCollection_DataMap<TopoDS_Shape, Rgba, TopTools_ShapeMapHasher>;

std::string utf8(const TCollection_ExtendedString& text) {
  std::string out(static_cast<size_t>(text.LengthOfCString()) + 1, '\0');
  Standard_PCharacter buffer = out.data();
  const Standard_Integer written = text.ToUTF8CString(buffer);
  out.resize(static_cast<size_t>(written));
  return out;
}

std::string label_name(const TDF_Label& label) {
  Handle(TDataStd_Name) name;
  if (label.FindAttribute(TDataStd_Name::GetID(), name)) return utf8(name->Get());
  return std::string();
}

// OCCT keeps colours linear; files store sRGB, and so does our output.
void to_srgba(const Quantity_ColorRGBA& colour, float rgba[4]) {
  Standard_Real r, g, b;
  colour.GetRGB().Values(r, g, b, Quantity_TOC_sRGB);
  rgba[0] = static_cast<float>(r);
  rgba[1] = static_cast<float>(g);
  rgba[2] = static_cast<float>(b);
  rgba[3] = colour.Alpha();
}

bool label_colour(const Handle(XCAFDoc_ColorTool) & colours, const TDF_Label& label, float rgba[4]) {
  Quantity_ColorRGBA colour;
  if (colours->GetColor(label, XCAFDoc_ColorSurf, colour) ||
      colours->GetColor(label, XCAFDoc_ColorGen, colour)) {
    to_srgba(colour, rgba);
    return true;
  }
  return false;
}

// A part's colour is that of its instance, else its shape, else its first coloured face.
void collect(const Handle(XCAFDoc_ShapeTool) & shapes, const Handle(XCAFDoc_ColorTool) & colours,
             const TDF_Label& label, const TopLoc_Location& placement, const Leaf& inherited,
             int depth, std::vector<Leaf>& leaves) {
  TDF_Label referred = label;
  if (XCAFDoc_ShapeTool::IsReference(label)) XCAFDoc_ShapeTool::GetReferredShape(label, referred);
  Leaf here = inherited;
  const std::string name = label_name(label);
  const std::string referred_name = label_name(referred);
  // Instance names such as "=>[0:1:1:2]" say nothing to a user: prefer the part's own name.
  if (!referred_name.empty()) here.name = referred_name;
  else if (!name.empty()) here.name = name;
  float rgba[4];
  if (label_colour(colours, label, rgba) || label_colour(colours, referred, rgba)) {
    here.has_colour = true;
    std::copy(rgba, rgba + 4, here.rgba);
  }
  if (XCAFDoc_ShapeTool::IsAssembly(referred) && depth < 32) {
    TDF_LabelSequence components;
    XCAFDoc_ShapeTool::GetComponents(referred, components);
    for (Standard_Integer i = 1; i <= components.Length(); ++i) {
      const TDF_Label& component = components.Value(i);
      const TopLoc_Location inner = placement * XCAFDoc_ShapeTool::GetLocation(component);
      collect(shapes, colours, component, inner, here, depth + 1, leaves);
    }
    return;
  }
  TopoDS_Shape shape = XCAFDoc_ShapeTool::GetShape(referred);
  if (shape.IsNull()) return;
  here.shape = shape.Moved(placement);
  here.placement = placement;
  if (!here.has_colour) {
    for (TopExp_Explorer faces(shape, TopAbs_FACE); faces.More(); faces.Next()) {
      Quantity_ColorRGBA colour;
      if (colours->GetColor(faces.Current(), XCAFDoc_ColorSurf, colour)) {
        here.has_colour = true;
        to_srgba(colour, here.rgba);
        break;
      }
    }
  }
  leaves.push_back(here);
}

FaceColours face_colours(const Handle(XCAFDoc_ShapeTool) & shapes,
                         const Handle(XCAFDoc_ColorTool) & colours) {
  FaceColours found;
  TDF_LabelSequence parts;
  shapes->GetShapes(parts);
  for (Standard_Integer i = 1; i <= parts.Length(); ++i) {
    TDF_LabelSequence pieces;
    XCAFDoc_ShapeTool::GetSubShapes(parts.Value(i), pieces);
    // Shells and solids first, so that a face's own colour wins over theirs.
    for (const bool faces_only : {false, true}) {
      for (Standard_Integer j = 1; j <= pieces.Length(); ++j) {
        const TopoDS_Shape piece = XCAFDoc_ShapeTool::GetShape(pieces.Value(j));
        if (piece.IsNull() || (piece.ShapeType() == TopAbs_FACE) != faces_only) continue;
        Quantity_ColorRGBA colour;
        if (!colours->GetColor(pieces.Value(j), XCAFDoc_ColorSurf, colour) &&
            !colours->GetColor(pieces.Value(j), XCAFDoc_ColorGen, colour)) {
          continue;
        }
        Rgba rgba;
        to_srgba(colour, rgba.v);
        for (TopExp_Explorer f(piece, TopAbs_FACE); f.More(); f.Next()) found.Bind(f.Current(), rgba);
      }
    }
  }
  return found;
}

// Prints "faces <done> <total>" each time meshing all faces at once gets 1 % further. OCCT
// calls Show under its own lock, from whichever thread advanced.
class ProgressLines : public Message_ProgressIndicator {
 public:
  ProgressLines(FILE* out, size_t total) : out_(out), total_(total) {}
  void Show(const Message_ProgressScope&, const Standard_Boolean) override {
    const size_t done = static_cast<size_t>(GetPosition() * static_cast<double>(total_));
    if (done * 100 / std::max<size_t>(total_, 1) == shown_percent_) return;
    shown_percent_ = done * 100 / std::max<size_t>(total_, 1);
    std::fprintf(out_, "faces %zu %zu\n", std::min(done, total_), total_);
    std::fflush(out_);
  }

 private:
  FILE* out_;
  size_t total_;
  size_t shown_percent_ = 0;
};

// Meshes every distinct face of the parts together, on every core: OCCT discretises shared
// edges once and the faces in parallel. Each face once, however many times it is placed.
void mesh_all_at_once(const std::vector<Leaf>& leaves, double linear, double angular,
                      size_t total_faces, FILE* progress) {
  TopTools_IndexedMapOfShape faces;
  for (const Leaf& leaf : leaves) {
    for (TopExp_Explorer f(leaf.shape, TopAbs_FACE); f.More(); f.Next()) {
      faces.Add(f.Current().Located(TopLoc_Location()));
    }
  }
  BRep_Builder builder;
  TopoDS_Compound all;
  builder.MakeCompound(all);
  for (Standard_Integer i = 1; i <= faces.Extent(); ++i) builder.Add(all, faces(i));
  IMeshTools_Parameters parameters;
  parameters.Deflection = linear;
  parameters.Angle = angular;
  parameters.Relative = Standard_False;
  parameters.InParallel = Standard_True;
  Handle(ProgressLines) lines = new ProgressLines(progress, total_faces);
  BRepMesh_IncrementalMesh mesher(all, parameters, lines->Start());
}

void put_u32(FILE* out, uint32_t value) { std::fwrite(&value, sizeof value, 1, out); }
void put_f32(FILE* out, float value) { std::fwrite(&value, sizeof value, 1, out); }
void put_text(FILE* out, const std::string& text) {
  put_u32(out, static_cast<uint32_t>(text.size()));
  std::fwrite(text.data(), 1, text.size(), out);
}

}  // namespace

// Meshes the STEP file at `path` and writes the parts to stdout. `text` (`text_length` bytes),
// when not null, is what to read instead of the file: its records without the PMI (see
// src/model/step_prune.rs); `path` still names it, and its folder is where external parts are
// looked for. Without `careful` (the quick path), healing leaves out the fixes kQuickHealing
// names and every face is meshed at once on every core. With it, OCCT heals as it always does
// and meshes one face after another; faces whose numbers (1-based, over the whole file, in the
// order "faces" lines count them) are in `skip` are not meshed and are reported as skipped.
//
// Once the parts are written the process ends at once (std::_Exit): tearing down what
// OpenCascade built costs time (about 60 ms on NIST CTC-02) and gives the parent nothing. So it
// returns only on failure: 2 when the file cannot be read (a line "error <why>" on stderr).
extern "C" int makistry_mesh_step(const char* path, const char* text, size_t text_length,
                                  const uint32_t* skip, size_t skip_count, int careful,
                                  int coarse, double chord, double angle) {
  FILE* out = stdout;
  FILE* progress = stderr;
#ifdef _WIN32
  _setmode(_fileno(stdout), _O_BINARY);
#endif
  try {
    // OCCT prints its own traces to stdout by default; stdout is our data channel.
    Message::DefaultMessenger()->RemovePrinters(STANDARD_TYPE(Message_Printer));
    Handle(XCAFApp_Application) app = XCAFApp_Application::GetApplication();
    Handle(TDocStd_Document) doc;
    app->NewDocument("MDTV-XCAF", doc);
    STEPCAFControl_Reader reader;
    reader.SetColorMode(true);
    reader.SetNameMode(true);
    // Only shapes, names and colours are shown: the rest of what XDE can read (AP242's
    // GD&T and saved views, validation properties, materials, layers) costs reading time.
    reader.SetLayerMode(false);
    reader.SetPropsMode(false);
    reader.SetGDTMode(false);
    reader.SetMatMode(false);
    reader.SetViewMode(false);
    IFSelect_ReturnStatus read;
    if (text != nullptr) {
      std::istringstream stream(std::string(text, text_length));
      read = reader.ChangeReader().ReadStream(path, stream);
    } else {
      read = reader.ReadFile(path);
    }
    if (read != IFSelect_RetDone) {
      std::fprintf(progress, "error it is not a STEP file OpenCascade can read\n");
      return 2;
    }
    bool transferred;
    {
      std::optional<QuickHealing> quick;
      if (!careful) quick.emplace();
      transferred = reader.Transfer(doc);
    }
    if (!transferred) {
      std::fprintf(progress, "error it holds no shapes OpenCascade can build\n");
      return 2;
    }
    Handle(XCAFDoc_ShapeTool) shapes = XCAFDoc_DocumentTool::ShapeTool(doc->Main());
    Handle(XCAFDoc_ColorTool) colours = XCAFDoc_DocumentTool::ColorTool(doc->Main());
    TDF_LabelSequence roots;
    shapes->GetFreeShapes(roots);
    std::vector<Leaf> leaves;
    for (Standard_Integer i = 1; i <= roots.Length(); ++i) {
      Leaf root;
      collect(shapes, colours, roots.Value(i), TopLoc_Location(), root, 0, leaves);
    }
    for (size_t i = 0; i < leaves.size(); ++i) {
      if (leaves[i].name.empty()) leaves[i].name = "part " + std::to_string(i + 1);
    }

    // One tolerance for the whole file, relative to its size, so a 5 mm clip and a 2 m frame
    // both look smooth: 0.05 % of the diagonal (0.05 mm on a 100 mm part), 0.35 rad; for a
    // thumbnail (coarse), 0.4 % and 0.6 rad: a 256-pixel picture shows no difference.
    Bnd_Box box;
    size_t total_faces = 0;
    for (const Leaf& leaf : leaves) {
      BRepBndLib::Add(leaf.shape, box);
      for (TopExp_Explorer f(leaf.shape, TopAbs_FACE); f.More(); f.Next()) ++total_faces;
    }
    const double diagonal = box.IsVoid() ? 1.0 : std::sqrt(box.SquareExtent());
    // A chord (mm) and angle (rad) given by the user (an export's quality) win.
    const double linear =
        chord > 0 ? chord : std::max(diagonal * (coarse ? 0.004 : 0.0005), 1e-4);
    const double angular = angle > 0 ? angle : (coarse ? 0.6 : 0.35);
    const std::set<uint32_t> skipped(skip, skip + skip_count);
    bool all_at_once = careful == 0;
    if (all_at_once) {
      try {
        mesh_all_at_once(leaves, linear, angular, total_faces, progress);
      } catch (const Standard_Failure&) {
        all_at_once = false;  // then one by one, which names the face that failed and why
      }
    }

    const FaceColours own_colours = face_colours(shapes, colours);
    std::fwrite("MKSTEP2\n", 1, 8, out);
    put_u32(out, static_cast<uint32_t>(leaves.size()));
    std::vector<std::string> failed;
    uint32_t face_number = 0;
    for (const Leaf& leaf : leaves) {
      std::vector<float> xyz;
      std::vector<uint32_t> triangles;
      std::vector<std::pair<uint32_t, Rgba>> runs;  // vertex count, colour
      Rgba leaf_colour;
      std::copy(leaf.rgba, leaf.rgba + 4, leaf_colour.v);
      const TopLoc_Location unplace = leaf.placement.Inverted();
      uint32_t face_in_part = 0;
      for (TopExp_Explorer f(leaf.shape, TopAbs_FACE); f.More(); f.Next()) {
        ++face_number;
        ++face_in_part;
        const TopoDS_Face& face = TopoDS::Face(f.Current());
        const std::string where =
            "face " + std::to_string(face_in_part) + " of " + leaf.name;
        if (skipped.count(face_number)) {
          failed.push_back(where + " (meshing it did not finish)");
          continue;
        }
        std::string cause = "OpenCascade made no triangles for it";
        TopLoc_Location location;
        // A face meshing all at once left bare is tried once more on its own, for the cause.
        if (!all_at_once || BRep_Tool::Triangulation(face, location).IsNull()) {
          std::fprintf(progress, "faces %u %zu\n", face_number - 1, total_faces);
          std::fflush(progress);
          try {
            BRepMesh_IncrementalMesh mesher(face, linear, false, angular, false);
          } catch (const Standard_Failure& failure) {
            const char* message = failure.GetMessageString();
            cause = std::string("OpenCascade: ") + (message && *message ? message : "it failed");
          }
        }
        Handle(Poly_Triangulation) mesh = BRep_Tool::Triangulation(face, location);
        if (mesh.IsNull() || mesh->NbTriangles() == 0) {
          failed.push_back(where + " (" + cause + ")");
          continue;
        }
        const Rgba* own = own_colours.Seek(face.Moved(unplace));
        const Rgba colour = own ? *own : leaf_colour;
        const uint32_t nodes = static_cast<uint32_t>(mesh->NbNodes());
        if (!runs.empty() && runs.back().second == colour) {
          runs.back().first += nodes;
        } else {
          runs.emplace_back(nodes, colour);
        }
        const gp_Trsf placement = location.Transformation();
        const bool flip = (face.Orientation() == TopAbs_REVERSED) != placement.IsNegative();
        const uint32_t base = static_cast<uint32_t>(xyz.size() / 3);
        for (Standard_Integer n = 1; n <= mesh->NbNodes(); ++n) {
          const gp_Pnt p = mesh->Node(n).Transformed(placement);
          xyz.push_back(static_cast<float>(p.X()));
          xyz.push_back(static_cast<float>(p.Y()));
          xyz.push_back(static_cast<float>(p.Z()));
        }
        for (Standard_Integer t = 1; t <= mesh->NbTriangles(); ++t) {
          Standard_Integer a, b, c;
          mesh->Triangle(t).Get(a, b, c);
          if (flip) std::swap(b, c);
          triangles.push_back(base + static_cast<uint32_t>(a - 1));
          triangles.push_back(base + static_cast<uint32_t>(b - 1));
          triangles.push_back(base + static_cast<uint32_t>(c - 1));
        }
      }
      put_text(out, leaf.name);
      for (float c : leaf.rgba) put_f32(out, c);
      const uint8_t has_colour = leaf.has_colour ? 1 : 0;
      std::fwrite(&has_colour, 1, 1, out);
      put_u32(out, static_cast<uint32_t>(xyz.size() / 3));
      std::fwrite(xyz.data(), sizeof(float), xyz.size(), out);
      put_u32(out, static_cast<uint32_t>(triangles.size() / 3));
      std::fwrite(triangles.data(), sizeof(uint32_t), triangles.size(), out);
      if (runs.size() < 2) runs.clear();
      put_u32(out, static_cast<uint32_t>(runs.size()));
      for (const auto& [count, colour] : runs) {
        put_u32(out, count);
        for (float c : colour.v) put_f32(out, c);
      }
    }
    put_u32(out, static_cast<uint32_t>(failed.size()));
    for (const std::string& face : failed) put_text(out, face);
    std::fprintf(progress, "faces %u %zu\n", face_number, total_faces);
    std::fflush(out);
    std::fflush(progress);
    std::_Exit(0);
  } catch (const Standard_Failure& failure) {
    std::fprintf(progress, "error OpenCascade stopped: %s\n", failure.GetMessageString());
    return 2;
  } catch (...) {
    std::fprintf(progress, "error OpenCascade stopped on this file\n");
    return 2;
  }
}
